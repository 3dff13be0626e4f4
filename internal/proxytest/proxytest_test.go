package proxytest

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRefused: wrong credentials and other methods are refused and said.
func TestRefused(t *testing.T) {
	tests := []struct {
		name    string
		start   func(testing.TB, Config) *Proxy
		request string
		want    string // the proxy's answer starts with this
	}{
		{"http without auth", NewHTTP, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", "HTTP/1.1 407"},
		{"http GET", NewHTTP, "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", "HTTP/1.1 405"},
		{"socks5 without auth", NewSOCKS5, "\x05\x01\x00", "\x05\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.start(t, Config{Egress: netip.MustParseAddr("127.0.0.1"), User: "u", Password: "p"})
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, tt.request)
			buf := make([]byte, len(tt.want))
			if _, err := io.ReadFull(c, buf); err != nil || !strings.HasPrefix(string(buf), tt.want) {
				t.Fatalf("answer %q, %v; want %q", buf, err, tt.want)
			}
			p.Close()
			if len(p.Refused()) != 1 {
				t.Fatalf("refused %v", p.Refused())
			}
		})
	}
}
