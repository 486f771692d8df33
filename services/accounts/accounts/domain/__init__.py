"""The accounts rules, free of Flask, pika and the database: each takes what it decides on (and
`now`) as arguments, so it is tested in milliseconds without sleeping."""
