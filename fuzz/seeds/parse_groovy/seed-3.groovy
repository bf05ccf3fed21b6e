def plain = 'single'
def triple = '''one
two'''
def full = "no interpolation"
def interpolated = "a ${b.c} d $e.f g"
def block = """
  ${plain}
"""
def slashy = /[a-z]+\/\d+/
def slashyInterpolated = /^${prefix}-\d+$/
def dollar = $/C:\tmp\ $$HOME $/ end/$
def dollarInterpolated = $/path: $name.ext/$
