// The packet-ring intake's functions, added to the fm-recv addon's exports (fm-ring.c).
#pragma once
#include <node_api.h>

void fm_ring_register(napi_env env, napi_value exports);
