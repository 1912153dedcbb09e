// The errnos a backend may answer, by name: every family's failures are `{ok: false, errno}`
// with one of these, as the real uAPI returns them.
export const ERRNOS = [
  'EPERM', 'ENOENT', 'EFAULT', 'EBUSY', 'EEXIST', 'EINVAL', 'ENOSPC', 'ENOMEM', 'EOVERFLOW',
  'EACCES', 'ENOTTY', 'ENXIO', 'ERANGE', 'EOPNOTSUPP', 'EADDRINUSE', 'EMSGSIZE', 'ENODEV', 'EDEADLOCK',
  // Not a signal: Linux 6.12's sPAPR v1 MAP past its window passes the hypervisor's H_PARAMETER
  // (-4) back as -errno (SPAPR-MAP-WINDOW-END), and the uAPI shows that as EINTR.
  'EINTR',
] as const;
export type Errno = (typeof ERRNOS)[number];

export const isErrno = (v: unknown): v is Errno => typeof v === 'string' && (ERRNOS as readonly string[]).includes(v);
