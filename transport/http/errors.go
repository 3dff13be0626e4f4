package http

import (
	"errors"
	"strconv"
)

// ErrTooManyRedirects is matched (errors.Is) by *RedirectError.
var ErrTooManyRedirects = errors.New("too many redirects")

// RedirectError is a request stopped because the tracker redirected it more
// than Config.MaxRedirects times.
type RedirectError struct {
	Limit int // the redirects that were allowed
}

func (e *RedirectError) Error() string {
	return "stopped after " + strconv.Itoa(e.Limit) + " redirects"
}

// Is matches ErrTooManyRedirects.
func (e *RedirectError) Is(target error) bool { return target == ErrTooManyRedirects }
