"""Sentence templates that carry planted PII (`<<pii:TYPE>>`) or hard negatives (`<<neg:TYPE>>`).

Original text written for Qingliu; rendered by `curation.demo.pii.render`.
"""

from curation.demo.bank_zh import lines

ZH_PII = lines("""
如有疑问，请联系活动负责人<<pii:person>>，手机<<pii:phone_cn>>。
报名请拨打<<pii:phone_cn>>，或发送邮件至<<pii:email>>。
失主<<pii:person>>的联系电话是<<pii:phone_cn>>，拾到者请与其联系。
本人{city}人，长期出售二手家电，有意者加QQ：<<pii:qq>>详谈。
快递放在门卫室了，收件人<<pii:person>>，电话<<pii:phone_cn>>。
办公室座机<<pii:landline_cn>>，工作日上午九点至下午五点有人接听。
{org}咨询电话：<<pii:landline_cn>>，传真同号。
申请人<<pii:person>>，身份证号码<<pii:id_card_cn>>，现居{city}{district}。
请核对以下信息：姓名<<pii:person>>，证件号<<pii:id_card_cn>>，如有错误请及时更正。
退款将原路返回至尾号对应的银行卡，卡号<<pii:bank_card_cn>>，请注意查收。
工资卡开户行为{city}分行，账号<<pii:bank_card_cn>>，户名<<pii:person>>。
简历请投递至<<pii:email>>，邮件标题注明应聘岗位和姓名。
服务器登录异常，来源地址为<<pii:ipv4>>，请管理员尽快排查。
日志显示该请求来自<<pii:ipv6>>，时间与故障发生时间吻合。
有问题可以直接加我QQ号<<pii:qq>>，晚上一般都在线。
二手房东直租，联系人<<pii:person>>，微信同手机号<<pii:phone_cn>>，中介勿扰。
孩子走失时穿红色外套，如有线索请联系家长<<pii:phone_cn>>，万分感谢。
订餐热线<<pii:landline_cn>>，满一百元免费配送。
病人家属<<pii:person>>，身份证<<pii:id_card_cn>>，联系电话<<pii:phone_cn>>。
招聘兼职，日结工资，有意者联系<<pii:person>>，电话<<pii:phone_cn>>，QQ<<pii:qq>>。
我的邮箱是<<pii:email>>，资料整理好了会发给大家。
公司财务请将款项汇入以下账户：<<pii:bank_card_cn>>，开户人<<pii:person>>。
""")

ZH_NEG = lines("""
您的订单号为<<neg:order_number>>，预计三个工作日内发货。
本书定价<<neg:price>>，<<neg:isbn>>，由{city}出版社出版。
如有疑问，请拨打客服热线<<neg:hotline>>咨询。
遇到紧急情况请立即拨打<<neg:hotline>>报警或求助。
本次活动时间为<<neg:date>>至月底，活动期间全场商品八折。
软件已更新到<<neg:version>>版本，修复了若干已知问题。
系统提示编号<<neg:bad_id_checksum>>校验失败，请重新核对后提交。
该型号官方售价<<neg:price>>，目前电商平台有一定优惠。
物流单号<<neg:order_number>>，可在官网查询配送进度。
全国统一服务热线<<neg:hotline>>，二十四小时为您服务。
""")

EN_PII = lines("""
For questions about the event, contact <<pii:person_en>> at <<pii:us_phone>> or <<pii:email>>.
The applicant, <<pii:person_en>>, listed Social Security number <<pii:us_ssn>> on the form.
Please charge the deposit to card <<pii:credit_card>> and email the receipt to <<pii:email>>.
Call me at <<pii:us_phone>> after six if you still want to buy the bike.
The suspicious login came from <<pii:ipv4>>, according to the security log.
Send your resume to <<pii:email>> before the end of the month.
Her emergency contact is <<pii:person_en>>, reachable at <<pii:us_phone>>.
Traffic from <<pii:ipv6>> was blocked after repeated failed attempts.
""")

EN_NEG = lines("""
Your order number is <<neg:en_order>>, and it should ship within two business days.
The software was updated to version <<neg:version>> last week.
The book, <<neg:isbn>>, is available at most libraries.
The event runs from <<neg:date>> through the end of the month.
""")
