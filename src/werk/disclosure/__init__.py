"""Disclosure control: CBS's output rules (rules), the checks of the article's claims (claims) and of
the robustness appendix (robust), the recorder each notebook run keeps with its records files (record),
and the report of an edition built from those records (report).
"""
