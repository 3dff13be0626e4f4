package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// modulePath is trackerkit's module, named when the binary carries no
// build information at all.
const modulePath = "github.com/trackerkit/trackerkit"

// versionText is what -version prints (ok false: the binary has no build
// information). It names the module version and the VCS revision that
// runtime/debug.ReadBuildInfo reports:
//
//   - go install ./examples/announce in a git clone: a pseudo-version
//     (v0.0.0-DATE-REV, "+dirty" with uncommitted changes) and the revision,
//     its time and "modified";
//   - a build of a published version (go install ...@vX.Y.Z): that version;
//     module builds carry no VCS revision, and the text says so;
//   - go run, go build -buildvcs=false, or a tree outside version control:
//     Go reports "(devel)" and no revision. That is shown as "devel" with the
//     reason and how to get a stamped binary, not as a version string.
func versionText(bi *debug.BuildInfo, ok bool) string {
	var sb strings.Builder
	if !ok || bi == nil {
		fmt.Fprintf(&sb, "announce devel (%s): no build information in this binary\n", modulePath)
		fmt.Fprintf(&sb, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return sb.String()
	}
	path, version := bi.Main.Path, bi.Main.Version
	if path == "" {
		path = modulePath
	}
	settings := make(map[string]string)
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	devel := version == "" || version == "(devel)"
	if devel {
		version = "devel"
	}
	fmt.Fprintf(&sb, "announce %s (%s)\n", version, path)
	switch rev := settings["vcs.revision"]; {
	case rev != "":
		line := settings["vcs"]
		if line == "" {
			line = "vcs"
		}
		line += " revision " + rev
		if t := settings["vcs.time"]; t != "" {
			line += ", committed " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", modified (uncommitted changes)"
		}
		sb.WriteString(line + "\n")
	case devel:
		sb.WriteString("revision unknown: built without version control information (go run, -buildvcs=false, or not a git clone); " +
			"go install ./examples/announce in a git clone records it\n")
	default:
		sb.WriteString("revision unknown: a module build (go install PATH@VERSION) records no VCS revision\n")
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	fmt.Fprintf(&sb, "%s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return sb.String()
}
