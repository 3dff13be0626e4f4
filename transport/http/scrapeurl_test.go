package http

import (
	"errors"
	"net/url"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

func TestScrapeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://t.test/announce", "http://t.test/scrape"},
		{"http://t.test/x/announce.php?pk=1", "http://t.test/x/scrape.php?pk=1"},
		{"http://t.test/x/announce.php?pk=1&a=b", "http://t.test/x/scrape.php?pk=1&a=b"},
		{"https://t.test/3f2a9c/announce?passkey=s3cret", "https://t.test/3f2a9c/scrape?passkey=s3cret"},
		{"https://t.test/a%2Fb/announce?passkey=s&x=1", "https://t.test/a%2Fb/scrape?passkey=s&x=1"},
		{"http://t.test:80/abc123/announce", "http://t.test:80/abc123/scrape"},
		{"http://t.test/announce_v2", "http://t.test/scrape_v2"},
		{"http://t.test/a", ""},
		{"http://t.test/announce/x", ""},
		{"http://t.test/announce/extra", ""},
		{"http://t.test/x%20announce", ""},
		{"http://t.test", ""},
		{"http://t.test/", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		got, err := ScrapeURL(u)
		if tt.want == "" {
			if !errors.Is(err, transport.ErrUnsupported) {
				t.Errorf("%s: err = %v, want transport.ErrUnsupported", tt.in, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: got %v, %v; want %s", tt.in, got, err, tt.want)
		}
		if u.String() != tt.in {
			t.Errorf("%s: input mutated to %s", tt.in, u)
		}
	}
}
