// The suite version recorded in every report and case file.
export const SUITE_VERSION = 'vfio-conform 0.2.0';
