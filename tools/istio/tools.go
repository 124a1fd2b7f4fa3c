//go:build tools

// Pins the Istio binaries tools/build.sh builds from this module (group istio):
// pilot-discovery (istiod), istioctl and pilot-agent (istio-agent, run proxyless: no Envoy), at the
// istio.io/istio version scripts/e2e/istio-module.sh pins.
package tools

import (
	_ "istio.io/istio/istioctl/cmd/istioctl"
	_ "istio.io/istio/pilot/cmd/pilot-agent"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
