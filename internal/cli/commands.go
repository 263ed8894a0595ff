package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/buildinfo"
	"github.com/kubu-gov/kubu/internal/config"
)

// operator is who the command line acts as: whoever can run kubu on the
// server runs the platform. It appears in the audit log as "cli".
var operator = authz.Actor{UserID: "cli", Email: "kubu command line", Role: authz.WogAdmin}

func version(e *Env, args []string) error {
	if len(args) > 0 {
		return errUsage
	}
	fmt.Fprintln(e.Stdout, buildinfo.String())
	return nil
}

func userAdd(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "user add")
	config.Common(fs, &cfg, e.Getenv)
	email := fs.String("email", "", "email address (required)")
	role := fs.String("role", "", "role: wog-admin, analyst, triager, agency-admin, agency-member, researcher (required)")
	agency := fs.String("agency", "", "agency code (required for agency-admin and agency-member)")
	name := fs.String("name", "", "display name")
	stdinPW := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if *email == "" || *role == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --email and --role are required", errUsage)
	}
	if r := authz.Role(*role); r.AgencyBound() && *agency == "" {
		return fmt.Errorf("%w: --agency is required for role %s", errUsage, *role)
	}
	pw := ""
	generated := false
	if *stdinPW {
		line, err := bufio.NewReader(e.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		pw, generated = accounts.RandomPassword(), true
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.CreateUser(e.Context, operator, accounts.NewUser{Email: *email, Name: *name, Role: authz.Role(*role), Agency: *agency, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, u.ID)
	if generated {
		fmt.Fprintf(e.Stderr, "password for %s (shown once): %s\n", u.Email, pw)
	}
	return nil
}

func tokenCreate(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "token create")
	config.Common(fs, &cfg, e.Getenv)
	email := fs.String("email", "", "the user the token acts as (required)")
	name := fs.String("name", "cli", "a name to recognise the token by")
	ttl := fs.Duration("ttl", 0, "how long the token lives (e.g. 720h; default and maximum 366 days)")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if *email == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.UserByEmail(e.Context, *email)
	if err != nil {
		return fmt.Errorf("no user with email %s", *email)
	}
	secret, _, err := a.Accounts.CreateToken(e.Context, operator, u.ID, *name, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, secret)
	return nil
}
