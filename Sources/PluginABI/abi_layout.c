/* Compiling this file checks the header's layout assertions in every build of the package. */
#include "vpcrouter_plugin.h"
