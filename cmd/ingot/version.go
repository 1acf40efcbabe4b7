package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Release builds may set these at link time:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234" ./cmd/ingot
//
// Otherwise they come from the build information the go command embeds
// (the module version, and the VCS revision of a "go build" in a checkout).
var (
	version = ""
	commit  = ""
)

// buildInfo is what "ingot version" reports.
type buildInfo struct {
	Version, Commit, CommitTime, GoVersion, Platform string
	// Modified is true when the working tree had uncommitted changes.
	Modified bool
}

// readBuildInfo gathers buildInfo from the link-time variables, then the
// embedded build information.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.time":
				b.CommitTime = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

func (e cliEnv) version(args []string) error {
	fs := e.newFlagSet("version", `usage: ingot version

Print ingot's version, the commit it was built from, and the Go version.
`)
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("version: unexpected argument %q", fs.Arg(0))}
	}
	b := readBuildInfo()
	commitLine := "commit unknown (this build has no VCS information; \"make build\" records the commit)"
	if b.Commit != "" {
		commitLine = "commit " + b.Commit
		if b.Modified {
			commitLine += " (with uncommitted changes)"
		}
		if b.CommitTime != "" {
			commitLine += ", " + b.CommitTime
		}
	}
	fmt.Fprintf(e.stdout, "ingot %s\n%s\n%s %s\n", b.Version, commitLine, b.GoVersion, b.Platform)
	return nil
}
