package mocktracker

import (
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// HTTPFaults makes the HTTP front end misbehave. The zero value is a well
// behaved tracker. Set them at any time with SetHTTPFaults; they apply to
// requests that arrive afterwards.
type HTTPFaults struct {
	// FailureReason, when set, is sent as "failure reason" instead of a reply.
	FailureReason string
	// RetryIn is sent as BEP 31 "retry in" with a failure: "never", or a
	// number of minutes sent as a bencoded integer ("60"), or any other text
	// sent as a string (to test garbage). Empty: not sent.
	RetryIn string
	// Warning is sent as "warning message" in an otherwise good reply.
	Warning string

	// Status, when not 0, is the HTTP status of every reply; the body is the
	// failure reason when FailureReason is set, else plain text.
	Status int
	// ScrapeStatus is Status for scrape requests only (e.g. 414).
	ScrapeStatus int

	// Unresponsive holds every request until the client gives up (its
	// context ends) or the Tracker closes: a tracker that accepts the
	// connection and never answers.
	Unresponsive bool

	// Delay holds each reply back (time.Sleep-like timer, so testing/synctest
	// virtualizes it). The request's context ends it early: no reply then.
	Delay time.Duration

	// OversizeBody, when > 0, replies with that many bytes: a valid reply
	// padded with an unknown key.
	OversizeBody int
	// GarbageBody replies with bytes that are not bencode.
	GarbageBody bool
	// TruncateBody sends only the first half of the reply.
	TruncateBody bool
	// Gzip compresses the reply (Content-Encoding: gzip).
	Gzip bool

	// RedirectHops redirects each request that many times (302, to the same
	// path and query with a hop counter added) before answering it.
	RedirectHops int

	// Interval and MinInterval, when not 0, replace the tracker's own.
	Interval, MinInterval time.Duration
	// TrackerID is sent as "tracker id".
	TrackerID string
	// ExternalIP is sent as BEP 24 "external ip" (4 or 16 raw bytes).
	ExternalIP netip.Addr
}

// httpState is the HTTP front end's per-Tracker state (Tracker.httpSt).
type httpState struct {
	tracker  *Tracker
	mu       sync.Mutex
	faults   HTTPFaults
	requests int
	last     *http.Request
	closed   bool           // the Tracker closed: refuse new requests
	inflight sync.WaitGroup // handlers running, waited for by Close
}

func (t *Tracker) http() *httpState {
	t.httpOnce.Do(func() {
		t.httpSt = &httpState{tracker: t}
		if t.onClose(t.httpSt.close) != nil {
			t.httpSt.close() // already closed: refuse requests
		}
	})
	return t.httpSt
}

// SetHTTPFaults replaces the HTTP faults; the zero HTTPFaults clears them.
func (t *Tracker) SetHTTPFaults(f HTTPFaults) {
	s := t.http()
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// HTTPRequests returns how many HTTP requests (announce, scrape, redirect
// hops) the front end has received.
func (t *Tracker) HTTPRequests() int {
	s := t.http()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// LastHTTPRequest returns a copy of the last HTTP request received (its URL
// with RawPath and RawQuery as sent, and its headers), or nil.
func (t *Tracker) LastHTTPRequest() *http.Request {
	s := t.http()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// record counts r and keeps a copy for LastHTTPRequest; it returns the
// faults in force.
func (s *httpState) record(r *http.Request) HTTPFaults {
	c := r.Clone(r.Context())
	c.Body = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.last = c
	return s.faults
}

// begin registers a request; it returns false once the Tracker is closed.
// Every true must be paired with s.inflight.Done().
func (s *httpState) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.inflight.Add(1)
	return true
}

// close runs from Tracker.Close, after the servers stopped: it waits for
// the handlers still running (their request contexts have ended).
func (s *httpState) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
}
