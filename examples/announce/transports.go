package main

import (
	"time"

	"github.com/trackerkit/trackerkit/transport"
	trhttp "github.com/trackerkit/trackerkit/transport/http"
	trudp "github.com/trackerkit/trackerkit/transport/udp"
)

// The CLI is watched by a person or run by a script: a tracker that does not
// answer should show as failing within a minute, not after BEP 15's full
// budget (nine sends over two hours) or never (an HTTP tracker that accepts
// the connection and sends nothing). The Session retries failures with its
// backoff, so nothing is lost by giving up on one request sooner.
const (
	// udpRetransmits: the request is sent twice, after waits of 15 s and
	// 30 s: a dead UDP tracker fails after 45 s (the JS client: 15 s).
	udpRetransmits = 1
	// requestTimeout bounds one HTTP announce or scrape.
	requestTimeout = 30 * time.Second
)

// cliTransports returns the HTTP and UDP transports the CLI gives the
// Client, built from the Client's shared options (User-Agent, proxy, bound
// address) with the CLI's shorter timeouts (it does not close transports it
// is given: call the returned function after the Client is closed).
func cliTransports(o transport.Options) (map[string]transport.Transport, func()) {
	hc := trhttp.ConfigFrom(o)
	hc.Timeout = requestTimeout
	uc := trudp.ConfigFrom(o)
	uc.MaxRetransmits = udpRetransmits
	h := trhttp.New(hc)
	u := trudp.New(uc)
	return map[string]transport.Transport{"http": h, "https": h, "udp": u}, func() {
		h.Close()
		u.Close()
	}
}
