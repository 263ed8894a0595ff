package ui

import (
	"net/url"
	"strings"
)

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
