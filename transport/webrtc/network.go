package webrtc

import (
	nethttp "net/http"
	"sync"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/internal/httpsafe"
	"github.com/trackerkit/trackerkit/internal/netdial"
)

// network is the WebSocket dial's share of the common network settings:
// the User-Agent of the handshake, and an HTTP client whose connections use
// the shared DNS cache, Config.LocalAddr and Config.Proxy.
type network struct {
	once   sync.Once
	client *nethttp.Client // nil when Config.DialOptions brings its own
	dialer *netdial.Dialer
	err    error // a proxy that cannot be used: every dial fails with it
}

// dialOptions returns the options of one WebSocket handshake: a copy of
// Config.DialOptions with the User-Agent header (unless the options set
// one) and, unless they name an HTTP client, the Transport's own client.
func (t *Transport) dialOptions() (*websocket.DialOptions, error) {
	var opts websocket.DialOptions
	if t.cfg.DialOptions != nil {
		opts = *t.cfg.DialOptions
	}
	if opts.HTTPHeader.Get("User-Agent") == "" {
		h := opts.HTTPHeader.Clone()
		if h == nil {
			h = nethttp.Header{}
		}
		h.Set("User-Agent", t.cfg.UserAgent)
		opts.HTTPHeader = h
	}
	if opts.HTTPClient == nil {
		n := &t.net
		n.once.Do(func() {
			d, err := netdial.New(netdial.Config{Resolver: t.cfg.DNS, LocalAddr: t.cfg.LocalAddr, Proxy: t.cfg.Proxy})
			if err != nil {
				n.err = err
				return
			}
			n.dialer = d
			n.client = &nethttp.Client{Transport: &nethttp.Transport{
				DialContext:       d.DialContext,
				ForceAttemptHTTP2: false, // WebSocket upgrades need HTTP/1.1
				// Handshake headers capped as every trackerkit reply's.
				MaxResponseHeaderBytes: httpsafe.MaxHeaderBytes,
			}}
		})
		if n.err != nil {
			return nil, n.err
		}
		opts.HTTPClient = n.client
	}
	return &opts, nil
}

// closeNetwork releases the client's idle connections and the dialer.
func (t *Transport) closeNetwork() {
	n := &t.net
	n.once.Do(func() {}) // no dial after Close builds a client
	if n.client != nil {
		n.client.CloseIdleConnections()
	}
	if n.dialer != nil {
		n.dialer.Close()
	}
}
