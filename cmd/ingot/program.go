package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"github.com/ingot-dev/ingot/internal/service"
)

func (e cliEnv) programCreate(args []string) error {
	fs := flag.NewFlagSet("ingot program create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f dbFlags
	e.addDBFlags(fs, &f)
	name := fs.String("name", "", "program name (required)")
	asJSON := fs.Bool("json", false, "print the credentials as one JSON object on stdout")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if *name == "" {
		return usageError{"program create: --name is required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("program create: unexpected argument %q", fs.Arg(0))}
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	sealer, err := e.sealer(f, st, true)
	if err != nil {
		return fmt.Errorf("program create: %w", err)
	}
	svc := service.New(service.Config{Store: st, Sealer: sealer, NoJobs: true}) // one-shot: claims no jobs
	defer svc.Close()
	c, err := svc.CreateProgram(e.ctx, *name)
	if err != nil {
		return fmt.Errorf("program create: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(c)
	}
	fmt.Fprintf(e.stdout, `Created program %s (%s). Its credentials are shown only this once:
  api_key:       %s
  hmac_username: %s
  hmac_secret:   %s
`, c.ProgramID, c.Name, c.APIKey, c.HMACUsername, c.HMACSecret)
	return nil
}

func (e cliEnv) migrate(args []string) error {
	fs := flag.NewFlagSet("ingot migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f dbFlags
	e.addDBFlags(fs, &f)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("migrate: unexpected argument %q", fs.Arg(0))}
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema at version %d (%s)\n", v, st.Engine())
	return nil
}
