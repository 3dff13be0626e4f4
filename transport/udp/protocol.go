package udp

import (
	"net/url"

	"github.com/trackerkit/trackerkit/transport"
)

// Protocol is the UDP tracker protocol (BEP 15) as the scheme registry knows
// it (see transport.Register): "udp", whose URLs need a port.
var Protocol = transport.Protocol{
	Name:    "udp",
	Schemes: []string{"udp"},
	New: func(o transport.Options) transport.Transport {
		return New(ConfigFrom(o))
	},
	CheckURL: func(u *url.URL) error {
		_, _, err := hostPort(u)
		return err
	},
}

// ConfigFrom returns the Config that carries the shared options (logger,
// proxy, local address, DNS cache); other fields are zero (defaults). A
// program tuning its own UDP transport starts from it.
func ConfigFrom(o transport.Options) Config {
	return Config{Logger: o.Logger, DNS: o.Resolver, Proxy: o.Proxy, LocalAddr: o.LocalAddr}
}
