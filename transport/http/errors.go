package http

import "github.com/trackerkit/trackerkit/internal/httpsafe"

// ErrTooManyRedirects is matched (errors.Is) by *RedirectError.
var ErrTooManyRedirects = httpsafe.ErrTooManyRedirects

// RedirectError is a request stopped because the tracker redirected it more
// than Config.MaxRedirects times.
type RedirectError = httpsafe.RedirectError

// ErrInsecureRedirect is matched (errors.Is) by *InsecureRedirectError.
var ErrInsecureRedirect = httpsafe.ErrInsecureRedirect

// InsecureRedirectError is an https announce or scrape redirected to a
// plain http URL, refused because it would send the passkey, info hash
// and peer id in clear text. Config.AllowInsecureRedirects opts in.
type InsecureRedirectError = httpsafe.InsecureRedirectError
