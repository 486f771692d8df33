"""The Mumaris web portal: server-rendered pages over the four services' public HTTP APIs."""
