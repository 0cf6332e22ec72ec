#ifndef VPCROUTER_COPENSSL_SHIM_H
#define VPCROUTER_COPENSSL_SHIM_H

// SHA-256 and HMAC for SigV4 come from the system libcrypto (libssl-dev).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#endif
