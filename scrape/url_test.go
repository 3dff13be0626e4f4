package scrape

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// TestURL checks that URL is the HTTP transport's ScrapeURL, one case each
// way: the BEP 48 rule itself is tested once, in transport/http
// (TestScrapeURL).
func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://t.test/x/announce.php?pk=1&a=b", "http://t.test/x/scrape.php?pk=1&a=b"},
		{"http://t.test/a", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		got, err := URL(u)
		if tt.want == "" {
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: err = %v, want ErrUnsupported", tt.in, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: got %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseTracker(t *testing.T) {
	tests := []struct {
		in   string
		want error // nil: accepted
	}{
		{"http://t.test/announce", nil},
		{"https://t.test/s3cret/announce.php?passkey=s3cret", nil},
		{"udp://t.test:1337", nil}, // UDP needs no announce segment
		{"udp://[::1]:1337/announce", nil},
		{"wss://t.test", nil},
		{"ws://t.test:8000/", nil},
		{"http://t.test/s3cret", ErrUnsupported},
		{"https://t.test/tracker?passkey=s3cret", ErrUnsupported},
		{"ftp://t.test/announce", ErrUnsupported},
		{"http:///announce", ErrInvalidURL},
		{"http://[bad/s3cret/announce", ErrInvalidURL},
		{"s3cret", ErrInvalidURL},
		{"", ErrInvalidURL},
		{"mailto:s3cret@t.test", ErrInvalidURL},
	}
	for _, tt := range tests {
		_, err := parseTracker(tt.in)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%q: err = %v, want %v", tt.in, err, tt.want)
		}
		if err == nil {
			continue
		}
		var te *transport.Error
		if !errors.As(err, &te) || te.Op != "scrape" {
			t.Errorf("%q: %v is not a scrape *transport.Error", tt.in, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error leaks the secret: %v", tt.in, err)
		}
	}
}
