package announcer

import (
	"errors"

	"github.com/trackerkit/trackerkit/transport"
)

var (
	// ErrClosed is returned when the Client or Session has been closed
	// (or, for a Session, stopped).
	ErrClosed = errors.New("announcer: closed")
	// ErrStarted is returned by Session.Start when called a second time.
	ErrStarted = errors.New("announcer: session already started")
	// ErrNoTrackers is returned by NewSession for a torrent without any
	// announce URL.
	ErrNoTrackers = errors.New("announcer: torrent has no announce URL")
)

// SchemeError says no transport serves a URL scheme. It matches
// transport.ErrUnsupported with errors.Is.
//
// NewSession does not fail for such a URL: the tracker is given up at once
// (State StateGaveUp) and Start reports it with an ErrorEvent whose GaveUp
// is true, so one odd URL in an announce list does not cost the others.
type SchemeError struct {
	Scheme string
	URL    string // redacted
}

func (e *SchemeError) Error() string {
	return "announcer: no transport for scheme " + quote(e.Scheme) + " (" + e.URL + ")"
}

// Unwrap returns transport.ErrUnsupported.
func (e *SchemeError) Unwrap() error { return transport.ErrUnsupported }

// URLError is an announce URL that does not parse or has no host. It
// matches transport.ErrUnsupported; like SchemeError it gives up that URL
// only.
type URLError struct {
	URL string // redacted; "REDACTED" when it does not parse at all
	Err error
}

func (e *URLError) Error() string {
	return "announcer: bad announce URL " + e.URL + ": " + e.Err.Error()
}

// Is matches transport.ErrUnsupported.
func (e *URLError) Is(target error) bool { return target == transport.ErrUnsupported }

// Unwrap returns the parse error (its text never holds the URL).
func (e *URLError) Unwrap() error { return e.Err }

func quote(s string) string { return `"` + s + `"` }
