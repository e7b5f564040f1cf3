"""Card groups recorded as data (pupils HS, students SV): no registry event says who studies, so an officer or the
BHXH exchange records the span with its supporting document; the decision then weighs it like any other ground."""
