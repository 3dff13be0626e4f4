package httpsafe

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

func TestPolicy(t *testing.T) {
	req := func(u string) *http.Request {
		pu, _ := url.Parse(u)
		return &http.Request{URL: pu, Header: http.Header{"Referer": {"https://t.test/pk/announce?x"}}}
	}
	via := func(us ...string) []*http.Request {
		var out []*http.Request
		for _, u := range us {
			out = append(out, req(u))
		}
		return out
	}
	errNext := errors.New("next")
	tests := []struct {
		name string
		p    Policy
		to   string
		via  []*http.Request
		want error // nil, ErrTooManyRedirects, ErrInsecureRedirect or errNext
	}{
		{"http to http", Policy{Max: 5}, "http://b.test/", via("http://a.test/"), nil},
		{"https to https", Policy{Max: 5}, "https://b.test/", via("https://a.test/"), nil},
		{"http to https", Policy{Max: 5}, "https://b.test/", via("http://a.test/"), nil},
		{"https to http refused", Policy{Max: 5}, "http://b.test/", via("https://a.test/"), ErrInsecureRedirect},
		{"https to http opted in", Policy{Max: 5, AllowInsecure: true}, "http://b.test/", via("https://a.test/"), nil},
		{"wss handshake to http refused", Policy{Max: 5}, "http://b.test/", via("wss://a.test/"), ErrInsecureRedirect},
		{"downgrade after an upgrade", Policy{Max: 5}, "http://c.test/", via("http://a.test/", "https://b.test/"), ErrInsecureRedirect},
		{"fifth redirect", Policy{Max: 5}, "http://a.test/", via("http://a.test/1", "http://a.test/2", "http://a.test/3", "http://a.test/4", "http://a.test/5"), nil},
		{"sixth redirect", Policy{Max: 5}, "http://a.test/", via("http://a.test/1", "http://a.test/2", "http://a.test/3", "http://a.test/4", "http://a.test/5", "http://a.test/6"), ErrTooManyRedirects},
		{"none allowed", Policy{}, "http://a.test/", via("http://a.test/1"), ErrTooManyRedirects},
		{"next consulted", Policy{Max: 5, Next: func(*http.Request, []*http.Request) error { return errNext }}, "http://a.test/", via("http://a.test/1"), errNext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(tt.to)
			err := tt.p.Check(r, tt.via)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if r.Header.Get("Referer") != "" {
				t.Error("Referer kept")
			}
		})
	}
}

func TestClient(t *testing.T) {
	own := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c := Client(own)
	if c == own || own.CheckRedirect == nil {
		t.Fatal("the given client was modified or returned")
	}
	pu, _ := url.Parse("http://b.test/")
	if err := c.CheckRedirect(&http.Request{URL: pu, Header: http.Header{}}, []*http.Request{{URL: pu}}); err != http.ErrUseLastResponse {
		t.Errorf("own CheckRedirect not consulted: %v", err)
	}
	d := Client(nil)
	if d.Transport != Transport || Transport.(*http.Transport).MaxResponseHeaderBytes != MaxHeaderBytes {
		t.Error("default client does not cap headers")
	}
	var e *RedirectError
	if err := d.CheckRedirect(&http.Request{URL: pu, Header: http.Header{}}, make([]*http.Request, 6)); !errors.As(err, &e) || e.Limit != MaxRedirects || e.Error() != "stopped after 5 redirects" {
		t.Errorf("limit: %v", err)
	}
	if (&InsecureRedirectError{}).Error() == "" {
		t.Error("message")
	}
}
