/* Error codes shared by every module.
 *
 * Fallible calls return 0 or one of these negative codes; libuv codes
 * (also negative, from uv.h) pass through unchanged. */
#ifndef KEEL_ERR_H
#define KEEL_ERR_H

enum {
    K_OK = 0,
    K_EINVAL = -10001,  /* malformed input */
    K_ENOENT = -10002,  /* not found */
    K_ERANGE = -10003,  /* value out of range */
    K_EIO = -10004,     /* file or socket I/O failed */
    K_ESTATE = -10005,  /* not allowed in the current state */
};

#endif
