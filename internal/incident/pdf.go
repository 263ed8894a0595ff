package incident

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrNoPDF means no Chromium is available to print PDF reports (the API
// answers 503; Markdown still works).
var ErrNoPDF = errors.New("PDF reports need Chromium: install it (Debian: apt-get install chromium) or set --chromium")

// printer prints HTML to PDF with headless Chromium, one document at a
// time (each in a fresh browser with a throwaway profile, no network).
type printer struct {
	path string
	sem  chan struct{}
}

func newPrinter(path string) *printer { return &printer{path: path, sem: make(chan struct{}, 1)} }

// binary finds the browser: the configured path, else chromium or Chrome
// on $PATH.
func (p *printer) binary() (string, error) {
	if p.path != "" {
		if _, err := os.Stat(p.path); err != nil {
			return "", fmt.Errorf("%w (%v)", ErrNoPDF, err)
		}
		return p.path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNoPDF
}

// PDF prints a self-contained HTML document (no external resources) on A4.
func (p *printer) PDF(ctx context.Context, html string) ([]byte, error) {
	bin, err := p.binary()
	if err != nil {
		return nil, err
	}
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	profile, err := os.MkdirTemp("", "kubu-pdf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"), // the report needs no network
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	defer cancelAlloc()
	bctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(bctx); err != nil { // start the browser
		return nil, fmt.Errorf("start Chromium: %w", err)
	}
	rctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	err = chromedp.Do(rctx, chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tree, err := cdp.Call(ctx, t, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return err
		}
		_, err = cdp.Call(ctx, t, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html})
		return err
	}))
	if err != nil {
		return nil, fmt.Errorf("load the report into Chromium: %w", err)
	}
	pdf, err := chromedp.Run(rctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFMargin(0.6), chromedp.PDFPrintBackground()))
	if err != nil {
		return nil, fmt.Errorf("print the report: %w", err)
	}
	return pdf, nil
}
