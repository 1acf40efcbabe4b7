package main

// On a fresh Debian machine, as root, the suite installs what it lacks with
// apt-get, as scripts/deps.sh does for the tests; elsewhere it says what is
// missing and stops.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// pgPackages hold initdb, pg_ctl and pgbench: pgbench ships in the server
// package on Debian 12 (postgresql-15) and in postgresql-contrib on older
// releases; the tests' scripts/deps.sh installs the same two.
var pgPackages = []string{"postgresql", "postgresql-contrib"}

// ensurePG finds PostgreSQL's tools, installing them first when they are
// missing and install allows it (root, apt-get present).
func ensurePG(ctx context.Context, install bool, logf func(string, ...any)) (pgTools, error) {
	t, err := findPG()
	if err == nil {
		return t, nil
	}
	if !install || os.Geteuid() != 0 {
		return t, err
	}
	if _, lerr := exec.LookPath("apt-get"); lerr != nil {
		return t, err
	}
	logf("installing %s with apt-get", strings.Join(pgPackages, " "))
	if err := aptInstall(ctx, pgPackages...); err != nil {
		return t, err
	}
	return findPG()
}

// aptInstall runs apt-get update and apt-get install -y for pkgs,
// non-interactively; its output is shown only when it fails.
func aptInstall(ctx context.Context, pkgs ...string) error {
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{
		{"update", "-qq"},
		append([]string{"install", "-y", "-qq"}, pkgs...),
	} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// goTool is the go command that builds ingot: the one on PATH.
func goTool() (string, error) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("the go command is required on PATH")
	}
	return p, nil
}
