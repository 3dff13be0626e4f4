package udp

import (
	"errors"
	"fmt"

	"github.com/trackerkit/trackerkit/transport"
)

// ErrInvalidURL is wrapped by the error for a tracker URL this transport
// cannot use: not udp://, no host, or no valid port.
var ErrInvalidURL = errors.New("udp: invalid tracker URL")

var (
	// errClosed ends the requests of a closed Transport.
	errClosed = transport.ErrClosed
	// errAbandoned ends a connect nobody waits for any more.
	errAbandoned = errors.New("udp: connect abandoned")
)

// timeoutError is the error after the last wait of the BEP 15 schedule; n
// is the last retransmission count, so n+1 sends were made.
func timeoutError(n int) error {
	return fmt.Errorf("%w: no reply after %d sends", transport.ErrTimeout, n+1)
}

// TruncatedError is a reply that carries our transaction ID and the action
// we expect, but is shorter than that action's reply: the tracker's answer,
// not noise, so the request fails at once instead of waiting out its
// retransmits. opentracker answers an announce for a torrent it does not
// track with exactly 8 bytes (action and transaction ID). It matches
// transport.ErrMalformed.
type TruncatedError struct {
	Action string // "connect", "announce" or "scrape"
	Len    int    // bytes received
	Min    int    // bytes the reply needs at least
}

func (e *TruncatedError) Error() string {
	if e.Action == "announce" {
		return fmt.Sprintf("tracker sent a truncated reply (%d bytes), which usually means it does not track this torrent", e.Len)
	}
	return fmt.Sprintf("tracker sent a truncated %s reply (%d bytes, want at least %d)", e.Action, e.Len, e.Min)
}

// Is makes a TruncatedError match transport.ErrMalformed.
func (e *TruncatedError) Is(target error) bool { return target == transport.ErrMalformed }

// sendError classifies an error from sending a datagram: one that says this
// host has no route for the family is a *transport.SkippedError.
func sendError(err error) error { return transport.Skipped(err) }
