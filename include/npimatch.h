/* npimatch.h - the public API of the npimatch engine, one header per concern:
 *
 *   npimatch/error.h      status codes, nm_err, nm_strerror
 *   npimatch/simd.h       run-time SIMD kernel selection
 *   npimatch/registry.h   NPPES ingest, the columnar registry, snapshots
 *   npimatch/compare.h    string, phonetic, date and geographic comparators
 *   npimatch/normalize.h  name, address, phone, ZIP, email and date normalizers
 *   npimatch/model.h      the linkage model: JSON schema, scoring, explanations, training
 *   npimatch/match.h      HCP-to-NPI matching of an input file against a registry
 *   npimatch/progress.h   progress reports and cancellation of long calls
 *
 * Conventions: public symbols start with nm_; functions return 0 or a
 * negative NM_E_* code; objects are opaque, made by nm_X_create/open/load and
 * released by nm_X_free (NULL is a no-op); the documentation of each function
 * says who owns what it returns. */
#ifndef NPIMATCH_H
#define NPIMATCH_H

#include "npimatch/error.h"
#include "npimatch/simd.h"
#if __has_include("npimatch/registry.h")
#include "npimatch/registry.h"
#endif
#if __has_include("npimatch/compare.h")
#include "npimatch/compare.h"
#endif
#if __has_include("npimatch/normalize.h")
#include "npimatch/normalize.h"
#endif

#if __has_include("npimatch/model.h")
#include "npimatch/model.h"
#endif
#if __has_include("npimatch/match.h")
#include "npimatch/match.h"
#endif

#if __has_include("npimatch/progress.h")
#include "npimatch/progress.h"
#endif

#define NM_VERSION_STRING "0.1.0"

#endif
