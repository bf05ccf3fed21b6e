class A<T extends B> implements C {
  static { x = 1 }
  A(a) { super(a) }
  enum E { X(1), Y }
  def f(int... a) { switch (a) { case [1, 2]: break; default: return a?.b*.c.&d } }
}
try { (String) x as int } catch (E | F e) {} finally {}
for (i = 0; i < 2; i++) {}
