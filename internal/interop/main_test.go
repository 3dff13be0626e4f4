package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// trackerVersion is the bittorrent-tracker release package.json pins.
const trackerVersion = "11.2.3"

var (
	// nodeBin is the node executable; "" when the suite skips.
	nodeBin string
	// nodeDir is the absolute path of testdata/node (package.json, scripts).
	nodeDir string
	// skipReason is set when node is absent on a developer machine.
	skipReason string
)

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "\ninterop: FAIL: %v\n\n", err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m)
}

// requireNode skips the test when the suite cannot run here (never in CI:
// setup fails the whole package there instead).
func requireNode(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// inCI reports whether this is a CI run, where skipping is not allowed.
func inCI() bool { return os.Getenv("CI") == "true" }

// setup finds node and makes sure node_modules holds bittorrent-tracker.
func setup() error {
	dir, err := filepath.Abs(filepath.Join("testdata", "node"))
	if err != nil {
		return err
	}
	nodeDir = dir

	bin, err := exec.LookPath("node")
	if err != nil {
		return skipOrFail("node is not installed (apt-get install nodejs npm)")
	}
	if v := installedVersion(); v == trackerVersion {
		nodeBin = bin
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return skipOrFail("node is installed but npm is not (apt-get install npm)")
	}
	if err := npmInstall(npm); err != nil {
		return err
	}
	if v := installedVersion(); v != trackerVersion {
		return fmt.Errorf("npm install left bittorrent-tracker %q in %s, want %s", v, nodeDir, trackerVersion)
	}
	nodeBin = bin
	return nil
}

// skipOrFail fails in CI and, on a developer machine, makes every test skip
// with why, said loudly on stderr too.
func skipOrFail(why string) error {
	if inCI() {
		return errors.New(why + "; CI=true, so the interop suite must run (.ci/run installs node)")
	}
	skipReason = "interop suite SKIPPED: " + why + "; trackerkit is NOT checked against the JS bittorrent-tracker"
	fmt.Fprintf(os.Stderr, "\n!!!!! %s !!!!!\n\n", skipReason)
	return nil
}

// installedVersion returns the version of node_modules/bittorrent-tracker,
// or "" when it is not installed.
func installedVersion() string {
	b, err := os.ReadFile(filepath.Join(nodeDir, "node_modules", "bittorrent-tracker", "package.json"))
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// npmInstall installs package.json's dependencies quietly; its output is
// shown only when it fails.
func npmInstall(npm string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = nodeDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s: %w\n%s", nodeDir, err, out.Bytes())
	}
	return nil
}
