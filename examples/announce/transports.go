package main

import (
	"context"
	"errors"
	"net/url"
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
// Client (it does not close transports it is given: call the returned
// function after the Client is closed).
func cliTransports() (map[string]transport.Transport, func()) {
	h := trhttp.New(trhttp.Config{})
	u := trudp.New(trudp.Config{MaxRetransmits: udpRetransmits})
	ht := timeoutTransport{h, requestTimeout}
	return map[string]transport.Transport{"http": ht, "https": ht, "udp": u}, func() {
		h.Close()
		u.Close()
	}
}

// timeoutTransport bounds each request of a transport.
type timeoutTransport struct {
	transport.Transport
	d time.Duration
}

func (t timeoutTransport) Announce(ctx context.Context, u *url.URL, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, t.d, errRequestTimeout)
	defer cancel()
	resp, err := t.Transport.Announce(ctx, u, req)
	return resp, timeoutError(ctx, err)
}

func (t timeoutTransport) Scrape(ctx context.Context, u *url.URL, req *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, t.d, errRequestTimeout)
	defer cancel()
	resp, err := t.Transport.Scrape(ctx, u, req)
	return resp, timeoutError(ctx, err)
}

var errRequestTimeout = errors.New("no reply in time")

// timeoutError makes a request that ran out of time say so, as a
// transport.ErrTimeout the Session counts as a failure.
func timeoutError(ctx context.Context, err error) error {
	if err == nil || !errors.Is(context.Cause(ctx), errRequestTimeout) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return &transport.Error{Op: te.Op, URL: te.URL, Err: transport.ErrTimeout}
	}
	return err
}
