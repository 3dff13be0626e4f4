package transport

import (
	"errors"
	"time"
)

// ErrReconnecting: the transport's connection to the tracker is down and the
// transport reconnects by itself on its own schedule (a WebTorrent tracker's
// WebSocket, which re-announces every torrent it carried once it is back).
// It is not the tracker failing: ask again at ReconnectingError.At. Matched
// with errors.Is; the error is a *ReconnectingError.
var ErrReconnecting = errors.New("reconnecting to the tracker")

// ReconnectingError is returned by a call that cannot be sent before its
// deadline because the connection is down until At.
type ReconnectingError struct {
	At  time.Time // when the transport next tries to connect
	Err error     // why the connection is down; nil if unknown
}

func (e *ReconnectingError) Error() string {
	s := "connection down, reconnecting at " + e.At.UTC().Format(time.RFC3339)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is matches ErrReconnecting.
func (e *ReconnectingError) Is(target error) bool { return target == ErrReconnecting }

// Unwrap returns why the connection is down.
func (e *ReconnectingError) Unwrap() error { return e.Err }
