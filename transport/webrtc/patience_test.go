package webrtc_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// patience bounds every wait of these real-socket tests for something that
// must happen (a reply, a peer, a data channel). It is only reached when
// the test fails: generous, so that a loaded 2-core machine still passes.
// Nothing is asserted to happen "within" real time.
const patience = 2 * time.Minute

// untilLogged returns a context that ends, as if its deadline had passed,
// as soon as cfg's Transport logs a record whose message starts with msg
// (or after patience). Tests use it where a call must fail by its deadline
// once the socket went down for a known reason: the deadline comes when
// that reason is known, not after some milliseconds of wall clock.
func untilLogged(t *testing.T, cfg *webrtc.Config, msg string) context.Context {
	t.Helper()
	c := &signalCtx{Context: context.Background(), done: make(chan struct{})}
	timer := time.AfterFunc(patience, c.fire)
	t.Cleanup(func() { timer.Stop(); c.fire() })
	cfg.Logger = slog.New(&signalHandler{msg: msg, fire: c.fire})
	return c
}

// signalCtx is a context whose Done closes when fire is called, reporting
// context.DeadlineExceeded, as a deadline would.
type signalCtx struct {
	context.Context
	once sync.Once
	done chan struct{}
}

func (c *signalCtx) fire()                 { c.once.Do(func() { close(c.done) }) }
func (c *signalCtx) Done() <-chan struct{} { return c.done }
func (c *signalCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// signalHandler calls fire at the first record whose message starts with msg.
type signalHandler struct {
	msg  string
	fire func()
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.msg) {
		h.fire()
	}
	return nil
}
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *signalHandler) WithGroup(string) slog.Handler      { return h }
