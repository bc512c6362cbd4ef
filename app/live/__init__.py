"""Live status: per voyage and per district, built from the plan and its field events, polled
(ETag, 304) or followed as a stream; the change notices that wake every worker."""
