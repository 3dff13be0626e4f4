package http

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/internal/httpsafe"
	"github.com/trackerkit/trackerkit/transport"
)

// Transport is the HTTP(S) tracker transport. It is safe for concurrent use
// by many goroutines and torrents. Create it with New; Close it when done.
type Transport struct {
	client    nethttp.Client  // shallow copy of Config.Client with the redirect cap
	events    *nethttp.Client // for completed and stopped: see eventClient
	ownClient bool
	userAgent string
	maxReply  int64
	timeout   time.Duration // 0: none
	log       *slog.Logger
	closed    atomic.Bool
	net       *network // the default client's dialer and family pools; nil with a Config.Client
	hosts     hosts    // which hosts close every connection (closing.go)
}

var _ transport.Transport = (*Transport)(nil)

// New returns a Transport configured by cfg (see Config for the defaults).
func New(cfg Config) *Transport {
	own := cfg.populate()
	t := &Transport{
		client:    *cfg.Client,
		ownClient: own,
		userAgent: cfg.UserAgent,
		maxReply:  cfg.MaxReplyBytes,
		timeout:   cfg.Timeout,
		log:       cfg.Logger,
	}
	// No Referer on any redirect (net/http would send the whole previous
	// URL, passkey included, to the next host), no https -> http unless
	// opted in, at most MaxRedirects; then the caller's own check.
	t.client.CheckRedirect = httpsafe.Policy{
		Max:           cfg.MaxRedirects,
		AllowInsecure: cfg.AllowInsecureRedirects,
		Next:          cfg.Client.CheckRedirect,
	}.Check
	t.events = &t.client
	if own {
		t.net = newNetwork(&cfg, &t.client) // before eventClient clones its transport
		t.events = eventClient(&t.client)
		t.net.addEventClients()
	}
	t.hosts.enabled, t.hosts.after = leanEnabled(own, t.net), closingAfter(cfg.ConnsPerHost)
	return t
}

// eventClient returns a copy of the default client c with a connection pool
// of its own and no cap on connections per host, for the event announces
// (completed, stopped): they must never wait behind regular announces for
// one of a busy or dead host's ConnsPerHost connections. At
// shutdown, a thousand torrents on one tracker send their stoppeds at once
// instead of 16 at a time until the deadline drops the rest. A Config.Client
// serves events too: its pool is its owner's.
func eventClient(c *nethttp.Client) *nethttp.Client {
	// A clone keeps the dialer (proxy, bound address, family, DNS cache):
	// a stopped must not leave around the proxy the announces went through.
	tr := newHTTPTransport(0)
	if base, ok := c.Transport.(*nethttp.Transport); ok {
		tr = base.Clone()
	}
	tr.MaxConnsPerHost = 0
	tr.MaxIdleConnsPerHost = 2 // events are rare: keep few idle
	ec := *c
	ec.Transport = tr
	return &ec
}

// Announce sends one announce to the tracker at u (http or https) and
// decodes its reply with ParseAnnounce. Errors are *transport.Error values
// carrying the redacted URL; see the package documentation for the causes.
func (t *Transport) Announce(ctx context.Context, u *url.URL, req *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	const op = "announce"
	if err := t.check(u); err != nil {
		return nil, transport.Wrap(op, transport.Redact(u), err)
	}
	r := withQuery(u, func(q []byte) []byte {
		return appendCustomParams(appendAnnounceQuery(q, req), req.Params, u.RawQuery)
	})
	client := t.clientFor(req.Family, req.Event == transport.EventCompleted || req.Event == transport.EventStopped)
	body, err := t.getAnnounce(ctx, client, req.Family, r)
	if err == nil {
		var resp *transport.AnnounceResponse
		if resp, err = ParseAnnounce(body); err == nil {
			t.log.Debug("announce", "url", transport.Redact(u), "interval", resp.Interval, "peers", len(resp.Peers))
			return resp, nil
		}
	}
	t.log.Debug("announce failed", "url", transport.Redact(u), "err", err)
	return nil, transport.Wrap(op, transport.Redact(u), err)
}

// Scrape asks the tracker whose announce URL is announceURL for the
// statistics of req.InfoHashes, at the scrape URL ScrapeURL derives (an
// announce URL without an "announce" segment cannot be scraped:
// transport.ErrUnsupported). Each hash is sent as its own info_hash
// parameter; a tracker that finds the URL too long answers 414, which
// becomes an error matching transport.ErrBatchTooLarge (and the
// *transport.StatusError) so the caller sends fewer hashes.
func (t *Transport) Scrape(ctx context.Context, announceURL *url.URL, req *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	const op = "scrape"
	if err := t.check(announceURL); err != nil {
		return nil, transport.Wrap(op, transport.Redact(announceURL), err)
	}
	su, err := ScrapeURL(announceURL)
	if err != nil {
		return nil, err // already a *transport.Error with the redacted URL
	}
	r := withQuery(su, func(q []byte) []byte { return appendScrapeQuery(q, req.InfoHashes) })
	body, err := t.get(ctx, &t.client, r)
	if se := (*transport.StatusError)(nil); errors.As(err, &se) && se.Code == nethttp.StatusRequestURITooLong {
		err = &batchTooLargeError{status: se}
	}
	if err == nil {
		var resp *transport.ScrapeResponse
		if resp, err = ParseScrape(body); err == nil {
			t.log.Debug("scrape", "url", transport.Redact(su), "files", len(resp.Files))
			return resp, nil
		}
	}
	t.log.Debug("scrape failed", "url", transport.Redact(su), "err", err)
	return nil, transport.Wrap(op, transport.Redact(su), err)
}

// Close closes the idle connections of the default client and makes later
// calls fail with transport.ErrClosed; calls already in flight finish (their
// contexts bound them). A Config.Client is left alone: its owner closes it.
// Close is idempotent and always returns nil.
func (t *Transport) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	if t.ownClient {
		t.client.CloseIdleConnections()
		t.events.CloseIdleConnections()
		t.net.close()
	}
	return nil
}

func (t *Transport) check(u *url.URL) error {
	if t.closed.Load() {
		return transport.ErrClosed
	}
	if t.net != nil && t.net.err != nil {
		return t.net.err
	}
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return transport.ErrUnsupported
	}
	return nil
}

// get is do bounded by Config.Timeout: a request that runs out of time fails
// with an error matching transport.ErrTimeout.
func (t *Transport) get(ctx context.Context, client *nethttp.Client, u *url.URL) ([]byte, error) {
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, t.timeout, errRequestTimeout)
		defer cancel()
	}
	body, err := t.do(ctx, client, u)
	if err != nil && errors.Is(context.Cause(ctx), errRequestTimeout) {
		return nil, &timeoutError{err: err}
	}
	return body, err
}

// getAnnounce is get for an announce: through the lean path when the
// tracker's host closes every connection (closing.go), watched while that
// is not known yet.
func (t *Transport) getAnnounce(ctx context.Context, client *nethttp.Client, f transport.Family, u *url.URL) ([]byte, error) {
	hc := t.hosts.classify(u)
	if hc == nil || hc.state.Load() == hostKeepsAlive {
		return t.get(ctx, client, u)
	}
	if hc.state.Load() == hostUnknown {
		tctx, done := hc.watch(ctx)
		body, err := t.get(tctx, client, u)
		done(err == nil)
		return body, err
	}
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, t.timeout, errRequestTimeout)
		defer cancel()
	}
	body, redirect, err := t.doLean(ctx, f, u)
	if redirect {
		body, err = t.do(ctx, client, u)
	}
	if err != nil && errors.Is(context.Cause(ctx), errRequestTimeout) {
		return nil, &timeoutError{err: err}
	}
	return body, err
}

// errRequestTimeout is the cause of a request context ended by Timeout.
var errRequestTimeout = errors.New("request timeout")

// timeoutError matches transport.ErrTimeout and keeps what failed.
type timeoutError struct{ err error }

func (e *timeoutError) Error() string   { return transport.ErrTimeout.Error() + ": " + e.err.Error() }
func (e *timeoutError) Unwrap() []error { return []error{transport.ErrTimeout, e.err} }

// do sends a GET for u and returns the body of a 200 reply. Every error it
// returns is free of the URL (net/http's *url.Error is unwrapped).
func (t *Transport) do(ctx context.Context, client *nethttp.Client, u *url.URL) ([]byte, error) {
	req := (&nethttp.Request{
		Method: nethttp.MethodGet,
		URL:    u,
		Header: nethttp.Header{
			"User-Agent":      {t.userAgent},
			"Accept-Encoding": {"gzip"},
		},
	}).WithContext(ctx)
	resp, err := client.Do(req)
	if err != nil {
		return nil, requestError(err)
	}
	defer resp.Body.Close()
	body, err := t.readBody(resp)
	return t.replyBody(resp.StatusCode, body, err)
}

// replyBody returns the body of a 200 reply, or the error a reply of
// status code says (err: reading the body failed).
func (t *Transport) replyBody(code int, body []byte, err error) ([]byte, error) {
	if code != nethttp.StatusOK {
		// Some trackers refuse with 400 and a bencoded failure reason: that
		// reason says more than the status.
		if err == nil {
			if _, perr := ParseAnnounce(body); errors.As(perr, new(*transport.FailureError)) {
				return nil, perr
			}
		}
		return nil, &transport.StatusError{Code: code}
	}
	if err != nil {
		return nil, err
	}
	return body, nil
}

// readBody reads the reply through limits: at most maxReply bytes on the
// wire and, for a gzip reply, at most maxReply bytes once decompressed.
func (t *Transport) readBody(resp *nethttp.Response) ([]byte, error) {
	var r io.Reader = &limitedReader{r: resp.Body, left: t.maxReply, limit: t.maxReply}
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, bodyError(err, "gzip")
		}
		defer zr.Close()
		r = &limitedReader{r: zr, left: t.maxReply, limit: t.maxReply}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, bodyError(err, "reading reply")
	}
	return b, nil
}

// bodyError keeps the typed errors of the limits and the context, and marks
// a broken gzip stream as malformed.
func bodyError(err error, what string) error {
	var tl *transport.TooLargeError
	switch {
	case errors.As(err, &tl):
		return tl
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF) && what == "gzip":
		return &transport.MalformedError{What: "gzip", Err: err}
	}
	return requestError(err)
}

// limitedReader is io.LimitReader(r, limit+1) that reports going over the
// limit as a *transport.TooLargeError instead of silently stopping.
type limitedReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &transport.TooLargeError{Limit: l.limit}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, &transport.TooLargeError{Limit: l.limit}
	}
	return n, err
}

// requestError turns a net/http error into the cause to wrap: the
// *url.Error (which holds the full URL, passkey included) is unwrapped, and
// a dial that failed because this host has no route for the tracker's
// address family becomes transport.ErrSkipped.
func requestError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	if op := (*net.OpError)(nil); errors.As(err, &op) && op.Op == "dial" {
		return transport.Skipped(err)
	}
	// net/http has no sentinel for headers beyond MaxResponseHeaderBytes:
	// "net/http: server response headers exceeded 32768 bytes; aborted".
	if s := err.Error(); strings.Contains(s, "server response headers exceeded") {
		var limit int64
		if f := strings.Fields(s[strings.Index(s, "exceeded")+len("exceeded"):]); len(f) > 0 {
			limit, _ = strconv.ParseInt(f[0], 10, 64)
		}
		return &transport.TooLargeError{Limit: limit}
	}
	return err
}

// batchTooLargeError is a scrape refused with 414 URI Too Long: it matches
// transport.ErrBatchTooLarge and keeps the status.
type batchTooLargeError struct{ status *transport.StatusError }

func (e *batchTooLargeError) Error() string {
	return transport.ErrBatchTooLarge.Error() + ": " + e.status.Error()
}
func (e *batchTooLargeError) Unwrap() []error { return []error{transport.ErrBatchTooLarge, e.status} }
