/* edu.h - QEMU's edu device (hw/misc/edu.c): the DMA registers of BAR0 and the device address of
 * its 4 KiB buffer. cmd bit 0 starts a transfer and reads 1 until it is done; bit 1: from the
 * buffer to the bus address (else from the bus address to the buffer). */
#ifndef AGENT_EDU_H
#define AGENT_EDU_H

#define EDU_BUF 0x40000ULL
#define EDU_SRC 0x80
#define EDU_DST 0x88
#define EDU_CNT 0x90
#define EDU_CMD 0x98

#endif
