package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/trackerkit/trackerkit/internal/testenv"
)

func TestVersionText(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want []string
		not  []string
	}{
		{"no build info", nil, false, []string{"announce devel (github.com/trackerkit/trackerkit)", "no build information"}, []string{"(devel)"}},
		{"go run", &debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: modulePath, Version: "(devel)"}}, true,
			[]string{"announce devel (github.com/trackerkit/trackerkit)\n", "revision unknown: built without version control information", "go1.25.0 "}, []string{"(devel)"}},
		{"clone", &debug.BuildInfo{GoVersion: "go1.25.0", Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261201093000-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-12-01T09:30:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
			[]string{"announce v0.0.0-20261201093000-0123456789ab+dirty (github.com/trackerkit/trackerkit)\n", "git revision 0123456789abcdef, committed 2026-12-01T09:30:00Z, modified (uncommitted changes)\n"}, nil},
		{"clean clone", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261201093000-0123456789ab"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "false"}}}, true,
			[]string{"git revision 0123456789abcdef\n"}, []string{"modified"}},
		{"published", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.3"}}, true,
			[]string{"announce v1.2.3 (github.com/trackerkit/trackerkit)\n", "a module build (go install PATH@VERSION) records no VCS revision"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionText(tc.bi, tc.ok)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("versionText lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("versionText has %q:\n%s", n, got)
				}
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	// -version wins over everything else, TARGET included, as in Go tools.
	for _, args := range [][]string{{"-version"}, {"-version", "-once", "not-a-target"}, {"-json", "-version"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitAnswered || !strings.HasPrefix(stdout, "announce ") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// TestInstallFromClone runs the README's install line in this clone
// (GOBIN in a temporary directory) and the installed binary's -version: the
// module version and, when the clone is a git checkout, its revision.
func TestInstallFromClone(t *testing.T) {
	goBin := testenv.GoCommand(t, "the CLI")
	root := testenv.ModuleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const line = "go install ./examples/announce"
	if !strings.Contains(string(readme), "\n"+line+" ") || strings.Contains(string(readme), "examples/announce@latest") {
		t.Fatalf("README.md does not give %q as its install line (or still has @latest)", line)
	}
	gobin := t.TempDir()
	cmd := exec.Command(goBin, strings.Fields(line)[1:]...)
	cmd.Dir = root
	// Offline, and with VCS stamping as a user gets it by default (this
	// machine's GOFLAGS may say -buildvcs=false).
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=auto", "GOPROXY=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
	bin := filepath.Join(gobin, "announce")
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("announce -version: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.HasPrefix(text, "announce ") || !strings.Contains(text, "("+modulePath+")") {
		t.Errorf("announce -version = %q", text)
	}
	// What the build recorded, as go version -m reads it.
	meta, err := exec.Command(goBin, "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if rev := buildSetting(string(meta), "vcs.revision"); rev != "" {
		if !strings.Contains(text, "revision "+rev) {
			t.Errorf("binary records vcs.revision %s, -version says %q", rev, text)
		}
		if strings.Contains(text, "devel") {
			t.Errorf("a VCS-stamped build says devel: %q", text)
		}
	} else {
		t.Logf("this tree has no VCS information; -version says %q", text)
		if !strings.Contains(text, "revision unknown") {
			t.Errorf("no revision recorded, but -version does not say so: %q", text)
		}
	}
}

// buildSetting returns a "build KEY=VALUE" setting of go version -m output.
func buildSetting(meta, key string) string {
	for _, l := range strings.Split(meta, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], key+"=") {
			return strings.TrimPrefix(f[1], key+"=")
		}
	}
	return ""
}
