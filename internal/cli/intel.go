package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intel/misp"
)

// feedTokenCreate is `kubu feed-token create --name N`: it prints the new
// feed token alone (a firewall's HTTP Basic password for /feeds/edl/…;
// shown once, kept only as a hash).
func feedTokenCreate(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "feed-token create")
	config.Common(fs, &cfg, e.Getenv)
	name := fs.String("name", "", "a name to recognise the token by, e.g. the firewall (required)")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	secret, _, err := a.Feeds.CreateToken(e.Context, operator, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, secret)
	return nil
}

// intelImport is `kubu intel import FILE`: a STIX 2.1 bundle, a MISP event,
// a MISP feed folder (with manifest.json), or a CSV or freetext list. It
// prints the result as JSON ({"imported","skipped","errors"}).
func intelImport(e *Env, args []string) error {
	var cfg config.Config
	fs := flags(e, "intel import")
	config.Common(fs, &cfg, e.Getenv)
	source := fs.String("source", "", "the source the indicators are kept under (default: the file's name)")
	format := fs.String("format", "auto", "auto, stix, misp, csv or freetext")
	if err := parse(e, fs, &cfg, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give one FILE", errUsage)
	}
	path := fs.Arg(0)
	if *format != "auto" && !slices.Contains(indicators.Formats, *format) {
		return fmt.Errorf("%w: --format must be auto, %s", errUsage, strings.Join(indicators.Formats, ", "))
	}
	if *source == "" {
		*source = filepath.Base(filepath.Clean(path))
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	a, err := app.Open(e.Context, &cfg, quiet(e))
	if err != nil {
		return err
	}
	defer a.Close()
	var res *indicators.Result
	if st.IsDir() {
		res, err = a.Intel.ImportMISPFeed(e.Context, operator, *source, os.DirFS(path), misp.Options{})
	} else {
		f, ferr := os.Open(path)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		br := bufio.NewReaderSize(f, 64<<10)
		if *format == "auto" {
			head, _ := br.Peek(4096)
			*format = indicators.SniffFormat(head)
		}
		res, err = a.Intel.ImportFile(e.Context, operator, *source, *format, br)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
