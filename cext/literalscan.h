/* The interface between a literal scanner (cqlmatch._hsscan, over
 * Hyperscan) and the candidate index (cqlmatch._candidates), handed over
 * in a PyCapsule named "cqlmatch.literalscan" so that the index builds and
 * runs without the scanner.
 *
 * scan() reports, through found(), the id of every pattern that occurs in
 * data[0:size) (case ignored; each id at least once, maybe more often);
 * it returns 0, or -1 when the scan failed. */
#ifndef CQLMATCH_LITERALSCAN_H
#define CQLMATCH_LITERALSCAN_H

#include <stddef.h>

typedef void (*cm_found_fn)(void* ctx, unsigned int id);

typedef struct {
    void* handle;
    int (*scan)(void* handle, const char* data, size_t size, cm_found_fn found, void* ctx);
} cm_literal_scanner;

#endif
