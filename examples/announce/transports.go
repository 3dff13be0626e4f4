package main

import (
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
	trhttp "github.com/trackerkit/trackerkit/transport/http"
	trudp "github.com/trackerkit/trackerkit/transport/udp"
)

// The CLI is watched by a person or run by a script: a tracker that does not
// answer should show as failing within seconds, not after BEP 15's full
// budget (nine sends over two hours) or never (an HTTP tracker that accepts
// the connection and sends nothing). -timeout bounds every request (the
// library's per-attempt bounds, AttemptTimeout and UDPAttemptTimeout, and
// the HTTP transport's own); the Session retries failures with its backoff,
// so nothing is lost by giving up on one request sooner.
const (
	// defaultTimeout is -timeout's default: a UDP request is sent twice
	// (BEP 15's first retransmit comes at 15 s) and given 5 s more; an HTTP
	// or WebSocket tracker gets 20 s (libtorrent: 10 s for UDP, 30 s for
	// HTTP; the JS client: 15 s).
	defaultTimeout = 20 * time.Second
	// udpRetransmits: at most two sends of one request (at 0 s and 15 s);
	// -timeout then decides when it fails.
	udpRetransmits = 1
)

// stopTimeout is the stop deadline for a -timeout of d: the library's 5 s,
// or d when shorter, so that -once ends within d + 1 s + min(d, 5 s).
func stopTimeout(d time.Duration) time.Duration {
	return min(d, announcer.DefaultStopTimeout)
}

// onceGrace is how long after -timeout a -once run stops by itself if some
// tracker has still not answered or failed: the library's own bound fires
// at -timeout, and its error event needs a moment to arrive.
const onceGrace = time.Second

// onceBound is the documented bound of a -once run for a -timeout of d:
// every tracker answered or failed within d (the run stops at d + 1 s in
// any case), then the stopped announces within the stop deadline.
func onceBound(d time.Duration) time.Duration { return d + onceGrace + stopTimeout(d) }

// bySchemes maps each scheme of each protocol to its transport.
func bySchemes(m map[*transport.Protocol]transport.Transport) map[string]transport.Transport {
	out := make(map[string]transport.Transport)
	for p, t := range m {
		for _, s := range p.Schemes {
			out[s] = t
		}
	}
	return out
}

// cliTransports returns the HTTP and UDP transports the CLI gives the
// Client, built from the Client's shared options (User-Agent, proxy, bound
// address), each request bounded by timeout (it does not close transports
// it is given: call the returned function after the Client is closed).
func cliTransports(o transport.Options, timeout time.Duration) (map[string]transport.Transport, func()) {
	hc := trhttp.ConfigFrom(o)
	hc.Timeout = timeout
	uc := trudp.ConfigFrom(o)
	uc.MaxRetransmits = udpRetransmits
	h := trhttp.New(hc)
	u := trudp.New(uc)
	return bySchemes(map[*transport.Protocol]transport.Transport{&trhttp.Protocol: h, &trudp.Protocol: u}), func() {
		h.Close()
		u.Close()
	}
}
