package httpsafe

import (
	"errors"
	"net/http"
	"strconv"
)

// MaxRedirects is the default and the most redirects one request follows
// (BEP 3 practice: 5).
const MaxRedirects = 5

// ErrTooManyRedirects is matched (errors.Is) by *RedirectError.
var ErrTooManyRedirects = errors.New("too many redirects")

// RedirectError is a request stopped because the tracker redirected it more
// than the allowed number of times.
type RedirectError struct {
	Limit int // the redirects that were allowed
}

func (e *RedirectError) Error() string {
	return "stopped after " + strconv.Itoa(e.Limit) + " redirects"
}

// Is matches ErrTooManyRedirects.
func (e *RedirectError) Is(target error) bool { return target == ErrTooManyRedirects }

// ErrInsecureRedirect is matched (errors.Is) by *InsecureRedirectError.
var ErrInsecureRedirect = errors.New("redirect from https to http refused")

// InsecureRedirectError is a redirect from an https (or wss) URL to a plain
// http one, refused: it would send the announce (passkey, info hash, peer
// id in the query or path the tracker chose) in clear text. The Location is
// not kept: it may carry a secret too.
type InsecureRedirectError struct{}

func (e *InsecureRedirectError) Error() string { return ErrInsecureRedirect.Error() }

// Is matches ErrInsecureRedirect.
func (e *InsecureRedirectError) Is(target error) bool { return target == ErrInsecureRedirect }

// Policy is a redirect policy; its Check is an http.Client.CheckRedirect.
type Policy struct {
	// Max is how many redirects one request may follow; 0 means none.
	Max int
	// AllowInsecure lets an https request be redirected to http.
	AllowInsecure bool
	// Next, if set, is consulted after the policy's own checks (a caller's
	// CheckRedirect).
	Next func(req *http.Request, via []*http.Request) error
}

// Check removes the Referer net/http has just set on req, then applies the
// limits. It is called before each redirect is followed.
func (p Policy) Check(req *http.Request, via []*http.Request) error {
	req.Header.Del("Referer")
	if len(via) > p.Max {
		return &RedirectError{Limit: p.Max}
	}
	if !p.AllowInsecure && len(via) > 0 && isSecure(via[len(via)-1].URL.Scheme) && !isSecure(req.URL.Scheme) {
		return &InsecureRedirectError{}
	}
	if p.Next != nil {
		return p.Next(req, via)
	}
	return nil
}

func isSecure(scheme string) bool { return scheme == "https" || scheme == "wss" }

// Client returns a shallow copy of c (nil: a client on Transport) whose
// CheckRedirect is the default Policy (MaxRedirects, https -> http refused)
// followed by c's own. c is not modified.
func Client(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	} else {
		cp.Transport = Transport
	}
	cp.CheckRedirect = Policy{Max: MaxRedirects, Next: cp.CheckRedirect}.Check
	return &cp
}
