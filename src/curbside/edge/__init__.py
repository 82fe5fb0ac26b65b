"""What the REST API and the web pages share, below both: the runtime and viewer dependencies,
the bounded path and query types, the public JSON shapes (`schemas`, built by `public`) and
`ApiError`. `curbside.api` and `curbside.web` import this and never each other; `curbside.app`
puts them together."""
