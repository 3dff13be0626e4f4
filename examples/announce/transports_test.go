package main

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// hangingTransport answers nothing until its context ends.
type hangingTransport struct{}

func (hangingTransport) Announce(ctx context.Context, u *url.URL, _ *transport.AnnounceRequest) (*transport.AnnounceResponse, error) {
	<-ctx.Done()
	return nil, &transport.Error{Op: "announce", URL: transport.Redact(u), Err: ctx.Err()}
}

func (hangingTransport) Scrape(ctx context.Context, u *url.URL, _ *transport.ScrapeRequest) (*transport.ScrapeResponse, error) {
	<-ctx.Done()
	return nil, &transport.Error{Op: "scrape", URL: transport.Redact(u), Err: ctx.Err()}
}

func TestTimeoutTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := timeoutTransport{hangingTransport{}, requestTimeout}
		u, _ := url.Parse("http://127.0.0.1:1/announce")
		start := time.Now()
		_, err := tr.Announce(context.Background(), u, &transport.AnnounceRequest{})
		if !errors.Is(err, transport.ErrTimeout) || time.Since(start) != requestTimeout {
			t.Errorf("announce: %v after %v", err, time.Since(start))
		}
		_, err = tr.Scrape(context.Background(), u, &transport.ScrapeRequest{})
		var te *transport.Error
		if !errors.Is(err, transport.ErrTimeout) || !errors.As(err, &te) || te.Op != "scrape" {
			t.Errorf("scrape: %v", err)
		}
		// The caller's own cancellation is not a timeout.
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Second); cancel() }()
		_, err = tr.Announce(ctx, u, &transport.AnnounceRequest{})
		if errors.Is(err, transport.ErrTimeout) || !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	})
	all, closeAll := cliTransports()
	defer closeAll()
	for _, s := range []string{"http", "https", "udp"} {
		if all[s] == nil {
			t.Errorf("no %s transport", s)
		}
	}
}
