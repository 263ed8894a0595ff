package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
)

// ErrorPageFunc renders the browser's page for an error status (401, 403,
// 404, 405, 429, 500…): it says what happened and where to go. The ui
// package provides one in the site's layout (Router.SetErrorPages).
type ErrorPageFunc func(w http.ResponseWriter, r *http.Request, status int)

// withPages makes the error pages reachable from the request's context, so
// that ErrorPage works from any browser handler.
func withPages(rt *Router, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.pages != nil {
			r = r.WithContext(context.WithValue(r.Context(), pagesKey, rt.pages))
		}
		next.ServeHTTP(w, r)
	})
}

// ErrorPage answers a browser request with the error page of status: the
// site's own (set with Router.SetErrorPages) or, without one, a plain page.
func ErrorPage(w http.ResponseWriter, r *http.Request, status int) {
	if f, ok := r.Context().Value(pagesKey).(ErrorPageFunc); ok {
		f(w, r, status)
		return
	}
	title, text := PageText(status)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><meta charset="utf-8"><title>%s · kubu</title><link rel="stylesheet" href="/static/kubu.css"><main class="page"><h1>%s</h1><p>%s</p><p><a href="/">Go to the home page</a></p></main></html>`,
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
}

// PageText is the title and explanation of a browser error page.
func PageText(status int) (title, text string) {
	switch status {
	case http.StatusUnauthorized:
		return "Please sign in", "You need to sign in to do that."
	case http.StatusForbidden:
		return "Not allowed", "Your role may not use this page. If you think it should, ask your administrator."
	case http.StatusNotFound:
		return "Page not found", "There is nothing here, or you may not see it. Check the address, or start again from the home page."
	case http.StatusMethodNotAllowed:
		return "Not available", "This page cannot be used that way. Start again from the home page."
	case http.StatusTooManyRequests:
		return "Too many requests", "You have sent too many requests. Please wait a minute and try again."
	case http.StatusInternalServerError:
		return "Something went wrong", "kubu could not do that; the problem has been logged. Please try again, or start again from the home page."
	}
	return http.StatusText(status), "Start again from the home page."
}

// NotFoundPage answers the browser's 404 page, the same for a missing
// record and for one the caller may not see.
func NotFoundPage(w http.ResponseWriter, r *http.Request) { ErrorPage(w, r, http.StatusNotFound) }

// ForbiddenPage answers the browser's 403 page: the caller's role may not
// use this at all (it says nothing about any record).
func ForbiddenPage(w http.ResponseWriter, r *http.Request) { ErrorPage(w, r, http.StatusForbidden) }
