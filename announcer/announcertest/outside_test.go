package announcertest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/internal/testenv"
)

// userTest is the test of a module that is not trackerkit: it imports
// announcertest and announces to it, as a torrent client's tests would.
const userTest = `package client

import (
	"context"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/transport"
)

func TestAgainstAnnouncertest(t *testing.T) {
	trk := announcertest.NewTracker(t)
	client, err := announcer.NewClient(announcer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	h := transport.InfoHash{0x42}
	sess, err := client.NewSession(announcer.Torrent{InfoHash: h, Tiers: [][]string{{trk.HTTPURL()}, {trk.UDPURL()}}},
		announcer.SessionOptions{TierMode: announcer.TiersAll})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector: generous for loaded machines
	defer cancel()
	if err := sess.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range sess.Events() {
		}
	}()
	for _, p := range []string{announcertest.ProtocolHTTP, announcertest.ProtocolUDP} {
		if _, err := trk.WaitAnnounce(ctx, func(a announcertest.Announce) bool { return a.Protocol == p && a.Event == transport.EventStarted }); err != nil {
			t.Fatal(p, err)
		}
	}
	sess.Stop(ctx)
	t.Log("announces received:", len(trk.Announces(h)))
}
`

// internalImport is what a module outside trackerkit cannot build: the
// reason announcertest exists.
const internalImport = `package internaluse

import _ "github.com/trackerkit/trackerkit/internal/mocktracker"
`

// TestOutsideModule builds a scratch module in a temporary directory that
// requires trackerkit through a replace directive pointing at this clone,
// and runs its test, which imports announcertest. It runs offline: the
// module cache that built this test has every dependency (GOPROXY=off).
// The same module fails to build a package importing internal/mocktracker.
func TestOutsideModule(t *testing.T) {
	goBin := testenv.GoCommand(t, "a scratch module")
	root := testenv.ModuleRoot(t)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.test/client\n\ngo 1.25.0\n\nrequire github.com/trackerkit/trackerkit v0.0.0\n\n" +
			"replace github.com/trackerkit/trackerkit => " + root + "\n",
		"go.sum":                     string(sum), // the same dependencies, the same hashes
		"client_test.go":             userTest,
		"internaluse/internaluse.go": internalImport,
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Offline: modules only from the local cache (GOPROXY=off), hashes
	// from trackerkit's go.sum (no checksum database); -mod=mod lets go
	// record trackerkit's requirements in the scratch go.mod.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("test", "-count=1", "-v", "-run", "TestAgainstAnnouncertest", "."); err != nil || !strings.Contains(out, "--- PASS: TestAgainstAnnouncertest") {
		t.Fatalf("the scratch module's test: %v\n%s", err, out)
	}
	out, err := run("build", "./internaluse")
	if err == nil || !strings.Contains(out, "use of internal package github.com/trackerkit/trackerkit/internal/mocktracker not allowed") {
		t.Errorf("building an import of internal/mocktracker from outside: err %v, output:\n%s", err, out)
	}
}
