package http

import (
	"bufio"
	"context"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/internal/httpsafe"
	"github.com/trackerkit/trackerkit/transport"
)

// The lean path for trackers that close every connection.
//
// Many trackers (opentracker among them) close the connection after each
// reply, with or without saying "Connection: close". net/http then pays for
// keep-alive it never gets: two goroutines per connection, pooling, and a
// retried request whenever it picked a pooled connection the tracker had
// closed meanwhile. So the Transport watches each plain-http tracker host's
// first requests (httptrace): a host whose connections are reused keeps the
// pooled path for good; a host that made closingAfter new connections
// without a single reuse is a closing host, and its announces then go
// through a plain exchange on a connection of their own: dial (with the
// Transport's dialer: DNS cache, bound address, family, Config.Proxy),
// write the GET with "Connection: close", read the reply with
// net/http.ReadResponse through the same limits (header bytes, reply
// bytes, gzip), close. No goroutine, no pool. A redirect is followed by the
// pooled path (its policy: no Referer, at most MaxRedirects). HTTPS
// trackers, a Config.Client, and proxies from the environment always use
// the pooled path.

// closingAfter is how many requests to a host are watched before it is
// classified: four first waves of parallel announces (which cannot reuse
// anything yet) at conns connections per host (Config.ConnsPerHost), so
// that a keep-alive host has served most of them on pooled connections.
func closingAfter(conns int) int32 {
	switch {
	case conns == 0:
		conns = DefaultConnsPerHost
	case conns < 0:
		conns = 1024
	}
	return int32(4 * conns)
}

// Host classes.
const (
	hostUnknown int32 = iota
	hostKeepsAlive
	hostCloses
)

// hostClass is what the Transport learned of one host's connections.
type hostClass struct {
	state   atomic.Int32
	fresh   atomic.Int32 // successful requests that needed a new connection, while unknown
	reused  atomic.Int32 // successful requests served by a pooled connection alone
	retried atomic.Int32 // successful requests retried after a pooled connection was found closed
	after   int32        // closingAfter
}

// watch returns ctx traced for one request to the host, and the function
// to call with the request's outcome. A request either was served by a
// reused connection alone, or needed a new one (the first of a
// connection, or a retry after a pooled connection turned out closed by
// the tracker, which net/http does silently). After closingAfter requests
// the host is a closing host when fewer than half were served by a
// reused connection alone (a keep-alive host serves three in four so,
// once its first wave has connected) (a tracker that closes after each reply still
// serves a pooled connection now and then, when the next request beats
// the close) or when one in 64 had to be retried on a new connection
// after a pooled one was found closed; a keep-alive host otherwise.
func (h *hostClass) watch(ctx context.Context) (context.Context, func(ok bool)) {
	var reused, fresh atomic.Int32
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if info.Reused {
			reused.Add(1)
		} else {
			fresh.Add(1)
		}
	}})
	return ctx, func(ok bool) {
		if !ok {
			return
		}
		switch {
		case fresh.Load() == 0 && reused.Load() > 0:
			h.reused.Add(1)
		case reused.Load() > 0:
			h.retried.Add(1)
			h.fresh.Add(1)
		default:
			h.fresh.Add(1)
		}
		f, r := h.fresh.Load(), h.reused.Load()
		switch {
		case f+r < h.after:
		case r < f, h.retried.Load() >= h.after/64:
			h.state.CompareAndSwap(hostUnknown, hostCloses)
		default:
			h.state.CompareAndSwap(hostUnknown, hostKeepsAlive)
		}
	}
}

// hosts is the Transport's classification, by host:port.
type hosts struct {
	enabled bool     // the lean path may be used at all
	after   int32    // closingAfter
	m       sync.Map // string -> *hostClass
	n       atomic.Int32
}

// maxHostClasses bounds the classification; beyond it, new hosts use the
// pooled path unwatched.
const maxHostClasses = 4096

// leanEnabled reports whether the lean path may serve this Transport: its
// own client, no proxy from the environment (HTTP_PROXY), a usable dialer.
func leanEnabled(own bool, n *network) bool {
	if !own || n == nil || n.dialer == nil || n.err != nil {
		return false
	}
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "REQUEST_METHOD"} {
		if os.Getenv(k) != "" {
			return false
		}
	}
	return true
}

// classify returns u's host class, or nil when u is not a candidate.
func (h *hosts) classify(u *url.URL) *hostClass {
	if !h.enabled || u.Scheme != "http" {
		return nil
	}
	if v, ok := h.m.Load(u.Host); ok {
		return v.(*hostClass)
	}
	if h.n.Load() >= maxHostClasses {
		return nil
	}
	c := &hostClass{after: h.after}
	v, loaded := h.m.LoadOrStore(u.Host, c)
	if !loaded {
		h.n.Add(1)
	}
	return v.(*hostClass)
}

// leanBuffers are the readers of lean exchanges, reused.
var leanReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// doLean is do for a closing host: one exchange on a connection of its
// own. redirect reports a 3xx reply, for the caller to go the pooled way.
func (t *Transport) doLean(ctx context.Context, f transport.Family, u *url.URL) (body []byte, redirect bool, err error) {
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	c, err := t.net.dialer.DialFamily(ctx, f, addr)
	if err != nil {
		return nil, false, requestError(err)
	}
	defer c.Close()
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) }) // wakes blocked I/O
	defer stop()

	req := make([]byte, 0, 160+len(u.Path)+len(u.RawQuery)+len(u.Host)+len(t.userAgent))
	req = append(req, "GET "...)
	req = append(req, u.RequestURI()...)
	req = append(req, " HTTP/1.1\r\nHost: "...)
	req = append(req, u.Host...)
	req = append(req, "\r\nUser-Agent: "...)
	req = append(req, t.userAgent...)
	req = append(req, "\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"...)
	if _, err := c.Write(req); err != nil {
		return nil, false, t.leanError(ctx, err)
	}
	br := leanReaders.Get().(*bufio.Reader)
	defer func() { br.Reset(nil); leanReaders.Put(br) }()
	// Headers within the cap net/http's pooled path applies; the body
	// within maxReply (readBody); the whole reply within both.
	br.Reset(io.LimitReader(c, int64(httpsafe.MaxHeaderBytes)+t.maxReply+1))
	resp, err := nethttp.ReadResponse(br, nil)
	if err != nil {
		return nil, false, t.leanError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" {
		return nil, true, nil
	}
	body, err = t.readBody(resp)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	body, err = t.replyBody(resp.StatusCode, body, err)
	return body, false, err
}

// leanError is the error of a failed lean exchange: the context's when it
// ended (the deadline set on the connection is its doing).
func (t *Transport) leanError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return requestError(err)
}
