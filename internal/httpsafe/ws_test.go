package httpsafe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// TestWebSocketRedirectNoReferer: the WebSocket handshake (what
// transport/webrtc dials through Client) redirected to another host,
// 127.0.0.2, carries no Referer, so no passkey.
func TestWebSocketRedirectNoReferer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
	var mu sync.Mutex
	var seen []string
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, "URI: "+r.RequestURI)
		for k, vs := range r.Header {
			seen = append(seen, k+": "+strings.Join(vs, ","))
		}
		mu.Unlock()
		c, err := websocket.Accept(w, r, nil)
		if err == nil {
			c.Close(websocket.StatusNormalClosure, "")
		}
	}))
	other.Listener.Close()
	other.Listener = ln
	other.Start()
	defer other.Close()
	from := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/announce", http.StatusFound)
	}))
	defer from.Close()

	const secret = "WSPASSKEY0123456789"
	url := "ws" + strings.TrimPrefix(from.URL, "http") + "/" + secret + "/announce"
	c, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{HTTPClient: Client(nil)})
	if err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the redirect was not followed")
	}
	for _, l := range seen {
		if strings.Contains(l, secret) || strings.HasPrefix(l, "Referer") {
			t.Errorf("the other host received %q", l)
		}
	}
	Transport.(*http.Transport).CloseIdleConnections()
}
