"""The period report (`loaxa report`): results of the PAPI outreach plan, as a Word file in
the administrative format of Nghị định 30/2020/NĐ-CP, every number from the database.

sections.py (the body: paragraphs and tables from one period's figures), document.py (the
decree's layout with python-docx), build.py (gathering and writing), cli.py. Importing this
package imports nothing heavy.
"""
