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
		return New(Config{Logger: o.Logger, DNS: o.Resolver})
	},
	CheckURL: func(u *url.URL) error {
		_, _, err := hostPort(u)
		return err
	},
}
