"""Personal information: the data subjects' keys, erasure with its retention rule, the
subject's report (PIPL arts. 45 and 47), and redaction of logs and exports."""
